import importlib.metadata
import json

import flask


def lambda_handler(event, context):
    # Flask 3.1 deprecates flask.__version__; the installed metadata says the same.
    version = importlib.metadata.version("flask")
    return {"statusCode": 200, "body": json.dumps(version), "layer": flask.__file__}
