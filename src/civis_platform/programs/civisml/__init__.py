"""CivisML on the platform: the training, prediction and registration programs.

They run as users' code, in a sandboxed run of a custom script made from one of the
CivisML templates (`templates`), with ``python -m civis_platform.programs.civisml
{train|predict|register}``. Each reads its script arguments from the environment
(`arguments`), talks to the API with the run's own ``CIVIS_API_KEY`` through the
platform's `civis` client (`data`, `outputs`), and posts its results as run outputs by
name: ``model_info.json`` always (also when the model fails, with the stack trace and a
clear ``error``), and for training ``metrics.json``, ``estimator.pkl`` and
``predictions.csv.gz``.

Modules, one concept each: `arguments` (environment to typed arguments), `models` (the
13 predefined models), `preprocess` (the `ColumnTransformer` for mixed-type tables),
`search` (PARAMS, CVPARAMS, CALIBRATION), `data` (tables and files in and out),
`metrics` (cross-validated metrics), `outputs` (run outputs and ``model_info.json``),
`train`, `predict`, `register` (the programs) and `templates` (the template entries).
"""
