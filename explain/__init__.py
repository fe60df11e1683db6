"""SHAP explanations of the deployed models, PDF reports and audit records.

* :func:`explain.explanation.explain_assessment` - exact TreeSHAP values of
  every output of every model of an Assessment, checked against onnxruntime
  (:class:`explain.explanation.Explanation`).
* :mod:`explain.aggregate` - contributions per modality and facial region;
  :mod:`explain.wording` - contributions in plain clinical words.
* :func:`explain.report.render_report` - the PDF report (PHI).
* :mod:`explain.audit` - :class:`~explain.audit.AuditRecord` and
  :func:`~explain.audit.verify_audit_record`.
* :func:`explain.pipeline.assess_with_report` - all of the above for one assessed session.

No Flask and no HTTP client here (plugin -> explain -> models -> acquisition).
"""
