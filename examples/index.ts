// The showcase stack: every example in one Pulumi program (the root
// Pulumi.yaml points here). `pulumi up` at the repository root deploys them
// all; `npm start` previews them offline.
import * as cowsay from "./cowsay";
import * as datasette from "./datasette";
import * as flaskLayer from "./flask-layer";
import * as helloUrl from "./hello-url";
import * as numpyArm64 from "./numpy-arm64";

export const helloUrlUrl = helloUrl.url;
export const cowsayUrl = cowsay.url;
export const flaskLayerArn = flaskLayer.layerArn;
export const flaskFunctions = flaskLayer.functions;
export const datasetteUrl = datasette.url;
export const numpyLayerArn = numpyArm64.layerArn;
export const numpyFunction = numpyArm64.functionName;
