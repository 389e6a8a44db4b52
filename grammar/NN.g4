// The nnc language. The parser is generated from this file at build time;
// frontend/ turns its parse trees into the AST (frontend/AST.h).
grammar NN;

// ---- Files ----------------------------------------------------------------

// A .nn file is a list of declarations.
file : declaration* EOF ;

declaration : activationDecl ;

// activation swish(x; beta = 1.0) = x * sigmoid(beta * x);
// activation prelu(x; learnable a = 0.25) = max(x, 0) + a * min(x, 0);
activationDecl
  : 'activation' name=IDENT '(' input=IDENT (';' parameter (',' parameter)*)? ')'
    '=' body=expr ';'
  ;

parameter : LEARNABLE? name=IDENT '=' value=expr ;

// A formula on its own (the command line, the REPL).
formula : expr EOF ;

// ---- Formulas, loosest binding first -------------------------------------

expr : lhs=additive (op=('<' | '<=' | '>' | '>=' | '==' | '!=') rhs=additive)? ;

additive
  : additive op=('+' | '-') multiplicative
  | multiplicative
  ;

multiplicative
  : multiplicative op=('*' | '/') unary
  | unary
  ;

// `^` binds tighter than unary minus: -x^2 is -(x^2); x^-2 is allowed.
unary
  : op=('-' | '+') unary
  | power
  ;

// Right-associative: 2^3^2 is 2^(3^2).
power : base=primary ('^' exponent=unary)? ;

primary
  : NUMBER                                       # number
  | IDENT '(' (argument (',' argument)*)? ')'   # call
  | IDENT                                        # name
  | '(' expr ')'                                 # parens
  ;

// Arguments of activation calls may name a parameter: swish(x, beta = 2).
argument : (name=IDENT '=')? value=expr ;

// ---- Tokens ---------------------------------------------------------------

LEARNABLE : 'learnable' ;
NUMBER : DIGITS ('.' DIGITS?)? EXPONENT? | '.' DIGITS EXPONENT? ;
IDENT : [a-zA-Z_] [a-zA-Z_0-9]* ;
fragment DIGITS : [0-9]+ ;
fragment EXPONENT : [eE] [+-]? DIGITS ;

LINE_COMMENT : ('#' | '//') ~[\r\n]* -> skip ;
BLOCK_COMMENT : '/*' .*? '*/' -> skip ;
// A /* with no */ after it: a token of its own so the error can say so.
// (It cannot contain "*/", so it never swallows a terminated comment.)
UNTERMINATED_COMMENT : '/*' (~'*' | '*'+ ~[*/])* '*'* EOF ;
WS : [ \t\r\n]+ -> skip ;
// Any other character becomes a token the parser reports, so the lexer
// itself never fails.
UNEXPECTED_CHAR : . ;
