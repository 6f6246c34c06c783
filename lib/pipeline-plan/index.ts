// "Configure the pipeline from this model": decisions (plan.ts), the nodes they apply to (links.ts, changes.ts).
export * from './plan';
export * from './links';
export * from './changes';
