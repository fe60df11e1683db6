"""FHIR: the pure mapping of assessments to resources (mapping) and the HTTP client (client)."""
