"""Tour, part 1: talking to the platform directly.

Ask the platform who we are, look around (databases, credentials), and see the API's
conventions at work: responses readable as attributes or keys, paginated lists, lookups
by name, clear errors and rate-limit headers. Runs against any Civis API endpoint:
`make demo` points it at a freshly started embedded platform through the environment
variables CIVIS_API_ENDPOINT and CIVIS_API_KEY.
"""

import civis

client = civis.APIClient()

# Who does the platform think we are? Responses read as attributes or as dict keys.
me = client.users.get_me()
print(f"Signed in as {me.username!r} (user {me.id}), name {me['name']!r}.")

# Databases registered on the platform, and the id behind a name.
for db in client.databases.list():
    print(f"Database {db.id}: {db.name}")
db_id = client.get_database_id("Civis Database")
print(f"'Civis Database' has id {db_id}.")

# Every user has a default database credential; the client finds it for us.
cred = client.credentials.get(client.default_database_credential_id)
print(f"Default database credential: {cred.name!r} ({cred.type}), id {cred.id}.")

# Create a few credentials, then walk them all with iterator=True: the client fetches
# page after page (two at a time here) until the server says there are no more.
for i in range(3):
    client.credentials.post("Custom", f"tour-user-{i}", "s3cret", name=f"tour credential {i}")
names = [c.name for c in client.credentials.list(iterator=True, limit=2)]
print(f"{len(names)} credentials, fetched two per page: {sorted(names)}")

# civis.find / find_one filter lists of responses by attribute.
tour_creds = civis.find(client.credentials.list(), type="Custom")
print(f"civis.find found {len(tour_creds)} custom credentials.")

# Errors carry the server's own description.
try:
    client.credentials.get(999_999)
except civis.base.CivisAPIError as err:
    print(f"Looking up a credential that does not exist: {err.status_code} {err.error_message}")

# Every response carries the rate-limit headers (1000 calls per 5 minutes, as on Civis).
print(f"Rate limit {me.rate_limit}, calls remaining {me.calls_remaining}.")
