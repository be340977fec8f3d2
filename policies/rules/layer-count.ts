// lambda-layer-count: a function can use at most 5 layers.
import limits from "../data/lambda-limits.json";
import { finding, Finding } from "./types";

export interface LayerCountConfig {
    maxLayers: number;
}

export const layerCountDefaults: LayerCountConfig = { maxLayers: limits.layersPerFunction };

export const layerCountSchema = {
    maxLayers: { type: "integer", minimum: 0, default: limits.layersPerFunction, description: "Most layers a function may use (AWS: 5)." },
};

export function checkLayerCount(subject: string, layerCount: number, config: LayerCountConfig = layerCountDefaults): Finding[] {
    if (layerCount <= config.maxLayers) return [];
    return [finding("lambda-layer-count", "mandatory", `${subject} uses ${layerCount} layers; Lambda allows at most ${config.maxLayers}. Merge layers that are always used together into one.`)];
}
