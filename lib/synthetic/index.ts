export * from './random';
export * from './scene';
export * from './render';
export * from './svg';
export * from './dataset';
export * from './evaluate';
export * from './evaluate-model';
