"""The SMART App Launch 2.2 client side: discovery, PKCE and state, token exchange and refresh,
private_key_jwt client authentication and the app's JWKS.

Everything here is independent of Flask; :mod:`plugin.web` wires it to pages.
"""
