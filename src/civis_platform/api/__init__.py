"""HTTP layer: one module per Civis resource; parse, call one service, shape."""
