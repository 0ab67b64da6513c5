"""What people sign off before the week: the HTML page of the week (:mod:`.html`), its calendar
file (:mod:`.ics`) and the quote cards (:mod:`.cards`). Each renders the same deliveries the
planner gives ``clarion preview --format json``, so what is signed off is what goes out."""
