// Model files for the editor: the bundled and uploaded models to pick from, uploads, and the model card.
export * from './upload';
export * from './catalog';
export * from './card';
