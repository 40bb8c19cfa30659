// The Messages module.
