"""seqfab: a tiny sequence model trained with Lightning Fabric."""
