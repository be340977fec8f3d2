import cowsay


def lambda_handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "text/plain"},
        "body": cowsay.get_output_string("pig", "Hello world, I am a pig"),
    }
