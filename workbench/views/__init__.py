"""The officials' workbench (/workbench/): thin views over the apps' services and selectors."""
