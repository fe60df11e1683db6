"""FHIR conformance resources (data only): profiles, CodeSystem, ValueSets, examples."""
