"""Views of the 1NCE simulator, one module per area of the contract."""
