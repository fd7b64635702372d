/* Joined Up?: which other editions sit beside this web edition. `carebook pdf` and `carebook epub` rewrite
   this file in the published site when they put an edition there (see carebook/build/publish.py). */
window.carebookPdf = "";
window.carebookEpub = "";
