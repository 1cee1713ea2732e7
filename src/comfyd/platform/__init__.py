"""The Comfy platform APIs (api.comfy.org and Comfy Cloud shapes): one folder per feature, each with
its services, wire models and routes."""
