/* Joined Up?: which other editions sit beside this web edition. `carebook pdf` rewrites this file in
   the published site when it puts the PDF edition there (see carebook/latex.py, publish_pdf). */
window.carebookPdf = "";
