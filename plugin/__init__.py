"""fpcds web plugin: SMART-on-FHIR app, FHIR mapping and client, sandbox EHR, and the CLI."""
