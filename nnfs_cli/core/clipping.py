"""Gradient clipping, in place, before the optimizer step."""

import math

import numpy as np

from nnfs_cli.core.parameters import FlatParameters


def clip_gradients(params, clip_value=None, clip_norm=None):
    """Clip every gradient of `params` ((key, param, grad) items or FlatParameters) to
    [-clip_value, clip_value], then scale them all by clip_norm / norm when their global L2
    norm (over all gradients together) exceeds clip_norm, as PyTorch's clip_grad_norm_ does
    (it divides by norm + 1e-6; we divide by the norm). Returns the norm before scaling."""
    grads = [params.grads] if isinstance(params, FlatParameters) else [g for _, _, g in params]
    if clip_value is not None:
        for grad in grads:
            np.clip(grad, -clip_value, clip_value, out=grad)
    if clip_norm is None:
        return None
    norm = math.sqrt(sum(float(np.vdot(grad, grad)) for grad in grads))
    if norm > clip_norm:
        scale = clip_norm / norm
        for grad in grads:
            grad *= scale
    return norm
