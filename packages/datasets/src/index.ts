export { CIFAR10_CLASSES, CIFAR10_RECORD, loadCifar10 } from "./cifar10.js";
export { type Dataset, image, imageSize, type Split, subset } from "./dataset.js";
export { DatasetError } from "./errors.js";
export { encodeIdx, type IdxArray, parseIdx, readIdx } from "./idx.js";
export {
  embeddedMnistDir,
  FASHION_MNIST_CLASSES,
  loadFashionMnist,
  loadIdxDataset,
  loadMnist,
  MNIST_CLASSES,
} from "./mnist.js";
export {
  type DatasetEntry,
  type DatasetSource,
  datasetEntries,
  datasetEntry,
  datasetNames,
  loadDataset,
  registerDataset,
} from "./registry.js";
