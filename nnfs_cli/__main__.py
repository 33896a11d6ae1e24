"""`python -m nnfs_cli`: the fallback when another package's `nnfs` script shadows ours."""

from nnfs_cli.launcher import main

if __name__ == "__main__":
    main()
