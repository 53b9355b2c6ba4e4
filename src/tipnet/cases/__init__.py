"""Case entry: the screening and identification form (child branch, consent, risk, referral, assistance plan),
drafts saved and resumed per user, submitted cases stored as the standard's records."""
