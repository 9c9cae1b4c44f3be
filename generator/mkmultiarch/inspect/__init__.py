"""Product two: look at what was built: a pushed tag (`verify`) and the build host (`doctor`)."""
