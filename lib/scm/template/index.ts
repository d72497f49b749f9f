export { type KubernetesObject, type TemplateDataInput, templateData } from "./data.js";
export { executeTemplate, parseTemplate, type Template, type TemplateError } from "./template.js";
