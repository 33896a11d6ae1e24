"""L1 and L2 penalties on a parameter array (NNFS ch. 14)."""

import numpy as np


def penalty(param, l1, l2):
    """l1 * sum(|p|) + l2 * sum(p**2), as a Python float."""
    loss = 0.0
    if l1:
        loss += l1 * float(np.abs(param).sum(dtype=np.float64))
    if l2:
        loss += l2 * float(np.square(param).sum(dtype=np.float64))
    return loss


def add_gradient(grad, param, l1, l2):
    """grad += l1 * sign(p) + 2 * l2 * p, in place.

    The L2 term uses the parameter itself: the book's notes have a bug that
    multiplies the bias gradient by the weights.
    """
    # The strengths in the parameters' own precision: float32 for the model, float64 arrays
    # get the exact values `penalty` uses, so loss and gradient agree.
    number = param.dtype.type
    if l1:
        # The book takes sign(0) as +1.
        grad += np.where(param >= 0, number(l1), number(-l1))
    if l2:
        grad += number(2 * l2) * param
