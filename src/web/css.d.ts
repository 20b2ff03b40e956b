// Stylesheets imported for their effect: esbuild bundles them into one CSS file.
declare module '*.css';
