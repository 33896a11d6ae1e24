"""`nnfs export`: a trained run as an ONNX model (onnx_graph.py, with one converter per layer
kind in onnx_layers.py) or as plain NumPy arrays with a JSON description (arrays.py)."""
