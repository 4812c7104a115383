"""Install-time model conversion for the edge module (nothing here runs on the device)."""
