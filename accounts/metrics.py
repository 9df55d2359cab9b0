from prometheus_client import Counter

LOGINS = Counter("fleetops_logins_total", "Login attempts by outcome.", ["outcome"])
API_KEY_AUTHENTICATIONS = Counter(
    "fleetops_api_key_authentications_total", "API key authentications by outcome.", ["outcome"]
)
