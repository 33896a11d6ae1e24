"""How to install an optional extra, in the words every missing-extra error uses: a user of
the published package and one working in a checkout install it differently."""


def install(extra):
    """`pip install 'nnfs-cli[onnx]' (from a checkout: pip install '.[onnx]')`."""
    return f"pip install 'nnfs-cli[{extra}]' (from a checkout: pip install '.[{extra}]')"
