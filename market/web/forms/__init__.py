"""WTForms forms, one module per area: input shape only; the domain checks the rules."""
