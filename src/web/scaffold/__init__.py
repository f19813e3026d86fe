"""What ``gatehouse new feature NAME`` writes: the files of a new bounded context, one
template each (``string.Template``: ``$name``, ``$Camel``, ``$title``, ``$path``,
``$revision``, ``$down_revision``, ``$date``)."""
