"""Features (Session -> FeatureTable), fusion models, ONNX export, registry and prediction."""
