"""SHAP explanations of the deployed models, PDF reports and audit records."""
