// The Transport module.
