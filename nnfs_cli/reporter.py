"""The one output channel for progress and messages: lines on stderr (kept for train.log),
tqdm bars on terminals, nothing but errors and results when quiet."""

import sys

from tqdm import tqdm


class Reporter:
    """Prints progress to stderr unless quiet, and remembers every line for train.log."""

    def __init__(self, quiet=False, stream=None):
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.lines = []
        self.bars = not quiet and _is_terminal(self.stream)

    def line(self, text=""):
        text = printable(text)
        self.lines.append(text)
        if not self.quiet:
            if self.bars:
                tqdm.write(text, file=self.stream)
            else:
                print(text, file=self.stream, flush=True)

    def bar(self, total, description, unit="batch", leave=False, **options):
        """A progress bar on a terminal; a silent stand-in elsewhere (the epoch lines suffice)."""
        if not self.bars:
            return NoBar()
        return tqdm(total=total, desc=description, file=self.stream, leave=leave,
                    dynamic_ncols=True, unit=unit, **options)


class NoBar:
    """What `bar` returns off a terminal: costs nothing for ten thousand tiny epochs."""

    disable = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n=1):
        pass

    def close(self):
        pass


def _is_terminal(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def printable(text):
    """`text` safe to print as one line: line breaks, bidi controls and other characters that
    are not printable (in a class name from a file, say) shown as escapes (\\n, \\u202e)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def count(n, noun):
    """`1 epoch`, `3 epochs`: a number with its noun, plural when it is not 1."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def format_metrics(row, accuracy="acc"):
    """One epoch line: train and validation loss and accuracy (`accuracy` names it: `acc`,
    `book_acc` for a regression's, None to leave it out), the other validation scores, the
    learning rate."""
    shown = f"  {accuracy} {row['accuracy']:.4f}" if accuracy else ""
    validation = ""
    if row.get("val_loss") is not None:
        validation = f"val_loss {row['val_loss']:.4f}  " + (
            f"val_{accuracy} {row['val_accuracy']:.4f}  " if accuracy else "")
    scores = "".join(f"{key} {value:.4f}  " for key, value in row.items()
                     if key.startswith("val_") and key not in ("val_loss", "val_accuracy")
                     and value is not None)
    return (f"epoch {row['epoch']:>4}  loss {row['loss']:.4f} (data {row['data_loss']:.4f}, "
            f"reg {row['reg_loss']:.4f}){shown}  {validation}{scores}"
            f"lr {row['lr']:.6g}  {row['seconds']:.1f}s")


def model_summary(input_shape, rows):
    """Aligned table of (layer, output shape, parameter count) with the input and the total."""
    def shape(value):
        return str(tuple(value))
    lines = [f"{'layer':<12} {'output shape':>16} {'params':>10}",
             f"{'input':<12} {shape(input_shape):>16} {'':>10}"]
    lines += [f"{name:<12} {shape(out):>16} {count:>10,}" for name, out, count in rows]
    lines.append(f"{'total':<12} {'':>16} {sum(row[2] for row in rows):>10,}")
    return lines
