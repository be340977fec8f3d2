import os

import flask


def lambda_handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "text/plain"},
        "body": f"{os.environ.get('GREETING', 'Hello')} (Flask {flask.__version__})\n",
    }
