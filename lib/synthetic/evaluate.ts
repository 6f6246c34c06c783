// Segmentation metrics for the synthetic data set: the shared definitions (lib/segmentation/metrics.ts).
export { argmaxClasses, ConfusionMatrix, iouReport, type IouReport } from '../segmentation/metrics';
