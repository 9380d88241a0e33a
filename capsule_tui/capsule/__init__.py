"""The Capsule side: the API client, its errors, and (in `sandbox`) a local stand-in server."""
