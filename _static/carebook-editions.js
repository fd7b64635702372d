/* Joined Up?: which other editions sit beside this web edition. `carebook pdf`, `carebook epub` (each edition
   of carebook/build/outputs/ with a link) rewrite this listing in the published site when they put their
   edition there (see carebook/build/publish.py): {name: {file, link}}. */
window.carebookEditions = {};
