"""Pure signal processing: Session -> FeatureTable."""
