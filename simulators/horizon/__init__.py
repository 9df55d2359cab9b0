"""A stand-in for Stellar Horizon: accounts, balances, trustlines and a ledger of transactions."""
