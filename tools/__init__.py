"""Developer tools outside the request path: the call simulator and its transports."""
