"""Tour, part 5: machine learning with CivisML.

Train three models at once on the Brandable pilot (which customers upgrade to a premium
service), compare their cross-validated ROC AUCs as each finishes, score every customer
with the best one, and pick the 5% most likely to upgrade. Then store the scores in a
table with the "Import from URL" template, as a custom script, and drop the table again.
The demo platform is seeded with the synthetic ``brandable_customers`` tables (from
`civis_platform.demo_data`). Runs against any Civis API endpoint through
CIVIS_API_ENDPOINT and CIVIS_API_KEY.
"""

from concurrent.futures import as_completed

import civis
from civis.ml import ModelPipeline

DATABASE = "Civis Database"
client = civis.APIClient()

# Define the algorithms and model parameters to use.
MODELS = ["sparse_logistic", "random_forest_classifier", "extra_trees_classifier"]
DV = "upgrade"  # Column name in the training table
PKEY = "brandable_user_id"  # Column name in the training table
EXCLUDE = ["residential_zip"]  # Don't train on these columns, if present
# Modest forests keep the tour quick on a laptop.
PARAMS = {m: {"n_estimators": 50} for m in MODELS[1:]}
training_table = "brandable_upgrades.brandable_training_data"

# Create the training set by joining the Brandable upgrade labels to the customer data.
sql = f"""CREATE SCHEMA IF NOT EXISTS brandable_upgrades;
DROP TABLE IF EXISTS {training_table};
CREATE TABLE {training_table} AS
(SELECT u.*, p.upgrade FROM brandable_customers.brandable_all_users u
JOIN brandable_customers.brandable_pilot p
ON p.brandable_user_id = u.brandable_user_id)"""
print(f"Training table: {civis.io.query_civis(sql, database=DATABASE).result().state}.")

# Start three models training at once: each train() returns a ModelFuture immediately.
models = {}
for m in MODELS:
    name = f'"{m}" model for {DV}'
    model = ModelPipeline(
        model=m,
        dependent_variable=DV,
        primary_key=PKEY,
        excluded_columns=EXCLUDE,
        model_name=name,
        parameters=PARAMS.get(m),
    )
    train = model.train(table_name=training_table, database_name=DATABASE)
    models[train] = model
    print(f"Created custom script {train.job_id}.")
    print(f'Started training the "{name}" model.')

# Check the area under the ROC curve of each model as it finishes training.
aucs = {}
for train in as_completed(models):
    if train.succeeded():
        print(
            f"Model# {train.train_job_id} on DV "
            f'"{train.metadata["data"]["target_columns"][0]}" '
            f'("{models[train].model_name}") '
            f"has a ROC AUC of {round(train.metrics['roc_auc'], 3)}."
        )
        aucs[train.metrics["roc_auc"]] = train
    else:
        print(f"Model# {train.train_job_id} failed: {train.exception()}")
best_model = models[aucs[max(aucs)]]
print(f'The "{best_model.model_name}" model has the best ROC AUC.')

# Score every customer with the best model.
predict = best_model.predict(
    table_name="brandable_customers.brandable_all_users", database_name=DATABASE
)
print(f"Created custom script {predict.job_id}.")
print(predict.table.head().to_string())

# The 5% of users most likely to upgrade.
n_users = len(predict.table)
most_likely = predict.table.sort_values(by="upgrade_1", ascending=False)[: int(0.05 * n_users)]
print(
    f"The most likely {len(most_likely)} of {len(predict.table)} users to upgrade "
    f"have scores ranging from {most_likely['upgrade_1'].iloc[-1]} "
    f"to {most_likely['upgrade_1'].iloc[0]}."
)

# Changed our mind: store the predictions in a table after all, with the
# "Import from URL" template run as a custom script.
prediction_tablename = "scratch.brandable_predictions"
template_id = civis.find_one(client.templates.list_scripts(limit=1000), name="Import from URL").id
url = client.files.get(predict.metadata["output_file_ids"][0])["file_url"]
upgrade_prediction_import = client.scripts.post_custom(
    template_id,
    name="Import Brandable Predictions",
    arguments={
        "URL": url,
        "TABLE_NAME": prediction_tablename,
        "IF_EXISTS": "drop",
        "DATABASE_NAME": DATABASE,
    },
)
import_fut = civis.utils.run_job(upgrade_prediction_import.id)
imported = import_fut.result()
print({k: imported[k] for k in ("id", "state", "error")})
rows = civis.io.read_civis_sql(
    f"SELECT COUNT(*) FROM {prediction_tablename}", DATABASE, return_as="list"
)
print(f"{prediction_tablename} has {rows[1][0]} rows.")

# Finally, keep the database tidy and delete these tables.
civis.io.query_civis(
    database=DATABASE,
    sql=f"DROP TABLE IF EXISTS {prediction_tablename}; DROP TABLE IF EXISTS {training_table}",
).result()
print("Dropped the scratch tables.")
