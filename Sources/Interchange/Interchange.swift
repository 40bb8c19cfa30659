// The Interchange module.
