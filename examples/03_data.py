"""Tour, part 3: tables and SQL.

Read a warehouse table into pandas, reshape it, write the result back as a new table,
query it with SQL, and drop it again; store a JSON document as a file; then look at the
tables through the API: list them, page through them, and read one table's columns.
The demo platform is seeded with synthetic Chicago transit ridership
(`public.cta_ridership_daily`, from `civis_platform.demo_data`). Runs against any Civis
API endpoint through CIVIS_API_ENDPOINT and CIVIS_API_KEY.
"""

import random

import pandas as pd

import civis

DATABASE = "Civis Database"
client = civis.APIClient()

# Read a whole table into a DataFrame (return_as="list" would give lists of strings).
df = civis.io.read_civis("public.cta_ridership_daily", DATABASE, return_as="pandas")
print(f"The table's shape is {df.shape}.")
print(df.head().to_string())

# Reshape it locally: total rides per station and month, from 2010 on.
df["month"] = pd.DatetimeIndex(df["date"]).to_period("M")
rides_post_2009 = df[df["month"] >= pd.Period("2010-01", "M")]
rides_by_month = rides_post_2009.groupby(["stationname", "month"])[["rides"]].sum().reset_index()
# Months as 'YYYY-MM' text: both clients would write a pandas Period as its ordinal number.
rides_by_month["month"] = rides_by_month["month"].astype(str)
print(f"The grouped table's shape is {rides_by_month.shape}.")
print(rides_by_month.head().to_string())

# Write it back into a scratch table. dataframe_to_civis returns at once with a
# CivisFuture; result() blocks until the platform has loaded the table.
rbm_tablename = "scratch.rides_by_month"
fut = civis.io.dataframe_to_civis(
    rides_by_month, DATABASE, rbm_tablename, existing_table_rows="drop"
)
print(f"dataframe_to_civis returned a {type(fut).__name__} (done: {fut.done()}).")
imported = fut.result()
print(f"Import run {imported['id']}: {imported['state']}.")

# Run SQL on the platform: one value out of the table we just wrote.
station_name = "Washington/Wells"
month = "2014-03"
result = civis.io.query_civis(
    database=DATABASE,
    sql=(
        f"SELECT rides FROM {rbm_tablename} "
        f"WHERE stationname = '{station_name}' AND month = '{month}'"
    ),
).result()
print(f"The {station_name} station had {result['result_rows'][0][0]} riders in {month}.")

# Clean up without waiting: the drop runs on the platform while we carry on.
fut_drop = civis.io.query_civis(database=DATABASE, sql=f"DROP TABLE IF EXISTS {rbm_tablename}")

# Files hold anything; JSON has its own pair of helpers.
rng = random.Random(2017)
bikes = {
    "stationBeanList": [
        {"id": i, "stationName": f"Station {i}", "availableBikes": rng.randint(0, 20)}
        for i in range(1, 585)
    ]
}
bike_file_id = civis.io.json_to_file(bikes, "Divvy status")
bikes_again = civis.io.file_to_json(bike_file_id)
print(
    f"File {bike_file_id} holds data on {len(bikes_again['stationBeanList'])} stations; "
    f"the round trip is exact: {bikes_again == bikes}."
)

# The API's view of the warehouse: tables by database id and schema.
db_id = client.get_database_id(DATABASE)
my_tables = client.tables.list(database_id=db_id, schema="public")
print(
    f"Tables in public starting with 'cta': "
    f"{[t['name'] for t in my_tables if t['name'].startswith('cta')]}"
)

# civis.find_one picks a response out of a list; tables.get has the columns.
cta_table = civis.find_one(my_tables, name="cta_ridership_daily")
tb_info = client.tables.get(cta_table.id)
col_types = {c.name: c.sql_type for c in tb_info.columns}
print(f"Table {cta_table.id} ({tb_info.row_count} rows) has columns {col_types}.")

# A page at a time, or every table through an iterator that fetches the pages for us.
my_three_tables = client.tables.list(database_id=db_id, schema="public", limit=3, page_num=1)
print(f"First page of three: {[t['name'] for t in my_three_tables]}")
tb_iter = client.tables.list(database_id=db_id, schema="public", iterator=True)
five_col_tbs = [t for t in tb_iter if t["column_count"] == 5]
print(f"Tables with five columns: {[t['name'] for t in five_col_tbs]}.")

# The drop started above has long finished; check that it did.
print(f"Dropping {rbm_tablename}: {fut_drop.result()['state']}.")
