"""Forms: WTForms classes, some built at runtime from question definitions."""
