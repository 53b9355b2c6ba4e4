"""International cooperation: the directory of national authorities (competences, contacts, legal profiles,
routing, staleness and reminders, exports) and the register of mutual legal assistance and extradition requests
(guided drafting, completeness, formal documents, status workflow, deadlines); also the compendium and the
recruiter registry (`compendium*`, `registry*`)."""
