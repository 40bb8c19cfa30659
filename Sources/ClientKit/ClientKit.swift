// The ClientKit module.
